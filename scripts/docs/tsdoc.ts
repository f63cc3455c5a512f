/**
 * Props and handles as their TSDoc states them, read with the TypeScript parser. One file is
 * parsed, not the whole program: the docs show a type as it is written in the declaration (what a
 * reader finds in the source and in the API reference), and parsing takes milliseconds where a type
 * checker over cdktf and the provider would take seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export interface DocumentedMember {
  readonly name: string;
  /** The type as written; `undefined` when the declaration leaves it to inference. */
  readonly type?: string;
  readonly optional: boolean;
  readonly description: string;
  /** The `@default` tag's text, when there is one. */
  readonly defaultValue?: string;
}

const parse = (root: string, file: string): ts.SourceFile =>
  ts.createSourceFile(file, fs.readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);

/** `{@link X}` (and `@linkcode`/`@linkplain`) reads as code in a table. */
const inlineTags = (text: string): string => text.replace(/\{@link(?:code|plain)?\s+([^}|\s]+)(?:[\s|][^}]*)?\}/g, '`$1`');

function documentation(node: ts.Node): { description: string; defaultValue?: string } {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  if (!last) return { description: '' };
  const tag = last.tags?.find((t) => t.tagName.text === 'default');
  const text = (comment: ts.JSDoc['comment']) => inlineTags(ts.getTextOfJSDocComment(comment) ?? '').trim();
  return { description: text(last.comment), defaultValue: tag ? text(tag.comment) : undefined };
}

function find<T extends ts.Node>(source: ts.SourceFile, name: string, is: (node: ts.Node) => node is T): T {
  const found = source.statements.find((s): s is T & ts.Statement => is(s) && (s as { name?: ts.Identifier }).name?.text === name);
  if (!found) throw new Error(`${source.fileName} declares no ${name}`);
  return found;
}

const memberName = (member: ts.ClassElement | ts.TypeElement, source: ts.SourceFile): string => member.name!.getText(source);

/** Every property of an interface, in declaration order. */
export function interfaceMembers(root: string, file: string, name: string): DocumentedMember[] {
  const source = parse(root, file);
  const declaration = find(source, name, ts.isInterfaceDeclaration);
  if (declaration.heritageClauses?.length) {
    // Inherited props live in another declaration, maybe another file: document them there.
    throw new Error(`${file}: ${name} extends another interface; the docs generator reads one declaration`);
  }
  return declaration.members.filter(ts.isPropertySignature).map((member) => ({
    name: memberName(member, source),
    type: member.type?.getText(source),
    optional: member.questionToken !== undefined,
    ...documentation(member),
  }));
}

const isPublic = (member: ts.PropertyDeclaration): boolean =>
  !(ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) &&
  !member.name.getText().startsWith('#');

/** A class's public instance properties: the handles a construct offers. */
export function classProperties(root: string, file: string, name: string): DocumentedMember[] {
  const source = parse(root, file);
  const declaration = find(source, name, ts.isClassDeclaration);
  return declaration.members
    .filter(ts.isPropertyDeclaration)
    .filter(isPublic)
    .map((member) => ({
      name: memberName(member, source),
      type: member.type?.getText(source),
      optional: member.questionToken !== undefined,
      ...documentation(member),
    }));
}
