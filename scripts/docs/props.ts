/** Props and handles tables from the TSDoc of their declarations. */
import { code, NONE, table } from './markdown';
import { classProperties, type DocumentedMember, interfaceMembers } from './tsdoc';

/** A literal reads as code; prose ("as the validator, with a 15 s timeout") stays as the TSDoc wrote it. */
const LITERAL = /^('[^']*'|"[^"]*"|-?\d+(\.\d+)?|true|false|\[[^\]]*\])$/;

const defaultOf = (member: DocumentedMember): string => {
  if (!member.optional) return '**required**';
  if (member.defaultValue === undefined) return NONE;
  return LITERAL.test(member.defaultValue) ? code(member.defaultValue) : member.defaultValue;
};

export function propsTable(root: string, file: string, name: string): string {
  const rows = interfaceMembers(root, file, name).map((m) => [
    code(m.name),
    m.type ? code(m.type) : NONE,
    defaultOf(m),
    m.description || NONE,
  ]);
  return table(['prop', 'type', 'default', 'description'], rows);
}

export function handlesTable(root: string, file: string, name: string): string {
  const rows = classProperties(root, file, name).map((m) => [code(m.name), m.type ? code(m.type) : NONE, m.description || NONE]);
  return table(['handle', 'type', 'description'], rows);
}
