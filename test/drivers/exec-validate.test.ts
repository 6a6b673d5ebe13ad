/** qm validate knows spec.exec: a closed block with did-you-mean, durations, env maps and `${env:NAME}` references. */
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/config/validate.js';

const driver = (exec: string) => [{ path: 'pools/drivers.yaml', text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: hetzner}\nspec:\n  type: exec\n${exec}` }];
const problems = (exec: string) => validateFiles(driver(exec)).diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.message, d.hint]);

describe('qm validate: spec.exec', () => {
  it('accepts the SPEC example', () => {
    expect(problems('  exec: {command: ["./drivers/hetzner.py", "--project", "agents"], timeout: 30s, env: {TOKEN: "${env:HCLOUD_TOKEN}"}, settings: {project: agents}}\n')).toEqual([]);
  });

  it('a misspelt field gets a did-you-mean; a bad duration, an empty command and a non-string env value are errors at their line', () => {
    expect(problems('  exec:\n    comand: [x]\n    command: []\n    timeout: 30 seconds\n    env: {TOKEN: 5}\n')).toEqual([
      ['UnknownField', 7, "Driver 'hetzner': unknown field 'comand' in spec.exec", "did you mean 'command'?"],
      ['InvalidValue', 8, "Driver 'hetzner': spec.exec.command must have at least 1 item", expect.any(String)],
      ['InvalidQuantity', 9, "Driver 'hetzner': spec.exec.timeout '30 seconds' is not a duration", 'write "30s"'],
      ['InvalidType', 10, "Driver 'hetzner': spec.exec.env.TOKEN must be a string, not the integer 5", 'quote it: "5"'],
    ]);
  });

  it('an environment reference in another form than ${env:NAME} is an error with the fix', () => {
    expect(problems('  exec:\n    command: [x]\n    env: {A: "${HCLOUD_TOKEN}", B: "Bearer $TOKEN", C: "${env:OK}", D: "${ENV:X}"}\n')).toEqual([
      ['InvalidValue', 8, "Driver 'hetzner': spec.exec.env.A holds '${HCLOUD_TOKEN}', which is not an environment reference qm resolves (the program would get it verbatim)", 'write ${env:HCLOUD_TOKEN}'],
      ['InvalidValue', 8, "Driver 'hetzner': spec.exec.env.B holds '$TOKEN', which is not an environment reference qm resolves (the program would get it verbatim)", 'write ${env:TOKEN}'],
      ['InvalidValue', 8, "Driver 'hetzner': spec.exec.env.D holds '${ENV:X}', which is not an environment reference qm resolves (the program would get it verbatim)", 'write ${env:X}'],
    ]);
  });

  it('type exec without spec.exec', () => {
    expect(problems('')).toEqual([['MissingField', 5, "Driver 'hetzner': type exec needs spec.exec with the program to run", 'add exec: {command: ["./drivers/my-driver.py"]}']]);
  });
});
