/** The CLI tests run the built binary: build once when dist/ is missing (npm test builds first anyway). */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  if (!existsSync('dist/cli/main.js') || !existsSync('dist/generated/validators.js')) execSync('npm run build', { stdio: 'inherit' });
}
