/** The headers API Gateway stores per signature scheme, from the table the mapping template is built from. */
import { SCHEME_HEADERS } from '../../src/contract';
import { code, table } from './markdown';

export function schemeHeadersTable(): string {
  return table(
    ['scheme', 'forwarded headers, in this order'],
    Object.entries(SCHEME_HEADERS).map(([scheme, headers]) => [code(scheme), headers.map(code).join(', ')]),
  );
}
