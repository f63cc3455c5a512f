// Registers the CDKTF Jest matchers (toHaveResource, toHaveResourceWithProperties, …).
import { Testing } from 'cdktf';

Testing.setupJest();
