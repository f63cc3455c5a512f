import { InvalidMessageError } from './invalid-message-error';
import { isJsonObject, type JsonObject } from './json';

/** Field checks shared by the parsers of the inter-stage messages. */
export class MessageFields {
  private constructor(
    private readonly kind: string,
    private readonly object: JsonObject,
  ) {}

  /** Parses `body` as a JSON object, or throws an {@link InvalidMessageError}. */
  static parse(kind: string, body: string): MessageFields {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw new InvalidMessageError(kind, 'body is not JSON');
    }
    if (!isJsonObject(value)) throw new InvalidMessageError(kind, 'body is not a JSON object');
    return new MessageFields(kind, value);
  }

  has(key: string): boolean {
    return key in this.object;
  }

  get(key: string): JsonObject[string] {
    return this.object[key];
  }

  string(key: string): string {
    const value = this.object[key];
    if (typeof value !== 'string' || value === '') this.fail(`"${key}" must be a non-empty string`);
    return value;
  }

  nullableString(key: string): string | null {
    return this.object[key] === null ? null : this.string(key);
  }

  timestamp(key: string): string {
    const value = this.string(key);
    if (Number.isNaN(Date.parse(value))) this.fail(`"${key}" must be an ISO-8601 timestamp`);
    return value;
  }

  fail(problem: string): never {
    throw new InvalidMessageError(this.kind, problem);
  }
}
