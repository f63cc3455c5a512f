// Registers the CDKTF Jest matchers (toHaveResource, toHaveResourceWithProperties, …).
import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

Testing.setupJest();
