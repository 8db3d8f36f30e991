#!/usr/bin/env node
// The `fedsearch` executable. The code is TypeScript run through tsx's loader, so a clone needs
// no build step; all logic lives in src/ and the commands in cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
