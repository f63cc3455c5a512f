import { App, Fn, type IResolvable, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Testing, Token } from 'cdktf';
import { resolvedOnce } from '../../../src/hcl/resolve-once';

/** A resolvable that counts its resolutions and renders a reference to `var.<name>`'s keys. */
function counted(variable: TerraformVariable): { value: string; calls: () => number } {
  let calls = 0;
  const resolvable: IResolvable = {
    creationStack: [],
    resolve: (context) => {
      calls += 1;
      return context.resolve(Fn.keys(variable.value));
    },
  };
  return { value: Token.asString(resolvable), calls: () => calls };
}

function stackWith(wrap: (value: string) => string) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const inner = counted(new TerraformVariable(stack, 'destinations', { type: 'map(string)', default: {} }));
  const once = wrap(inner.value);
  const local = new TerraformLocal(stack, 'names', once);
  // The same token in a second context: inside another function's argument.
  new TerraformOutput(stack, 'first', { value: Fn.element(Token.asList(once), 0) });
  new TerraformOutput(stack, 'names_out', { value: local.asList });
  return { app, stack, inner };
}

test('resolves once per context shape, and writes what resolving it every time writes', () => {
  const plain = stackWith((value) => value);
  const memo = stackWith(resolvedOnce);
  const plainJson = JSON.parse(Testing.synth(plain.stack));
  const memoJson = JSON.parse(Testing.synth(memo.stack));
  expect(memoJson.locals).toEqual(plainJson.locals);
  expect(memoJson.output).toEqual(plainJson.output);
  expect(memoJson.locals.names).toBe('${keys(var.destinations)}');
  expect(memoJson.output.first.value).toBe('${element(keys(var.destinations), 0)}');
  // Once per context with it (the local, and inside element()); without it the preparing pass and the real one each resolve it.
  expect(memo.inner.calls()).toBe(2);
  expect(plain.inner.calls()).toBeGreaterThan(memo.inner.calls());
});

test('the HCL output is the same with and without it', () => {
  const hcl = (wrap: (value: string) => string) => {
    const app = new App({ hclOutput: true, outdir: Testing.app().outdir });
    const stack = new TerraformStack(app, 'test');
    const variable = new TerraformVariable(stack, 'destinations', { type: 'map(string)', default: {} });
    new TerraformLocal(stack, 'names', wrap(counted(variable).value));
    return Testing.synthHcl(stack);
  };
  expect(hcl(resolvedOnce)).toBe(hcl((value) => value));
  expect(hcl(resolvedOnce)).toContain('keys(var.destinations)');
});
