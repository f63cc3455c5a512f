import { type IResolvable, type IResolveContext, TerraformStack, Token } from 'cdktf';

/**
 * `value` behind a token that cdktf resolves once per resolution context and then hands the same
 * result back.
 *
 * Why: cdktf resolves every element twice per synth — a preparing pass (which registers cross-stack
 * references) and the pass that writes the JSON — and both yield the same text, since a reference
 * seen in the preparing pass resolves to its cross-stack form from then on, in either pass. For a
 * plan-time local built from a deep tree of `Fn.*` calls and `for` expressions (the destinations and
 * lanes from a variable), the second walk of that tree is about a tenth of the synth's time.
 *
 * Results are kept per context shape (`suppressBraces`, escapes, iterator), so the same token
 * resolved inside an expression and at the top level is rendered for each. Use it only for values
 * that never change after construction: it resolves once, not again when something it reads has changed.
 */
export function resolvedOnce(value: string): string {
  return Token.asString(resolvableOnce(value));
}

/** {@link resolvedOnce} for any value: a map or list of tokens, an `IResolvable`. */
export function resolvableOnce(value: unknown): IResolvable {
  const results = new Map<string, unknown>();
  const resolvable: IResolvable = {
    creationStack: [],
    resolve(context: IResolveContext) {
      const key = JSON.stringify([
        // The stack decides how a reference resolves (a cross-stack one differs); the element does not.
        TerraformStack.of(context.scope).node.path,
        context.suppressBraces ?? false,
        context.ignoreEscapes ?? false,
        context.warnEscapes ?? false,
        context.iteratorContext ?? null,
      ]);
      if (!results.has(key)) results.set(key, context.resolve(value));
      return results.get(key);
    },
    toString: () => Token.asString(resolvable),
  };
  return resolvable;
}
