#!/usr/bin/env node

require('../dist/cli/main.js')
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`ecs-role-attach: ${error?.stack ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
