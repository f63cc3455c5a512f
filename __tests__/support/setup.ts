// Registers the CDKTF Jest matchers (toHaveResource, toHaveResourceWithProperties, …) and their types.
import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

Testing.setupJest();
