// Runs the component transpiled by `jco transpile` (scripts/run-wasi copies
// this file next to it) inside the grants scripts/run-wasi computed: the
// environment, the pre-opened directories and the network. Node itself runs
// the component in this process, so a signal to it stops the component
// (`jco run` would leave a child process holding the port).
import process from 'node:process';
import { _setEnv, _setCwd } from '@bytecodealliance/preview2-shim/cli';
import { _setPreopens, _addPreopen, types } from '@bytecodealliance/preview2-shim/filesystem';
import { _denyDnsLookup, _denyTcp, _denyUdp } from '@bytecodealliance/preview2-shim/sockets';

// Newline-separated folders, each pre-opened at its own host path.
const preopens = process.env.SAMSUNG_WASI_PREOPENS;
// Space-separated names of the variables the component may see.
const envNames = process.env.SAMSUNG_WASI_ENV;
if (preopens === undefined || envNames === undefined) {
  console.error('run.mjs: start it through scripts/run-wasi');
  process.exit(2);
}
const env = {};
for (const name of envNames.split(' ').filter(Boolean)) {
  if (process.env[name] !== undefined) env[name] = process.env[name];
}
_setEnv(env);
_setCwd(undefined);
_setPreopens({});
for (const dir of preopens.split('\n').filter(Boolean)) {
  _addPreopen(dir, dir);
}
if (process.env.SAMSUNG_WASI_NETWORK !== '1') {
  _denyDnsLookup();
  _denyTcp();
  _denyUdp();
}
// wasi-libc asks for `mutate-directory` on every open for writing (POSIX
// open(2) may create the file); preview2-shim 0.26.1 refuses that flag with
// "unsupported", so no file could be created. The flag only matters for a
// directory descriptor, whose mutations the shim does not restrict anyway:
// drop it for file opens.
const openAt = types.Descriptor.prototype.openAt;
types.Descriptor.prototype.openAt = function (pathFlags, path, openFlags, descriptorFlags) {
  const flags = openFlags.directory ? descriptorFlags : { ...descriptorFlags, mutateDirectory: false };
  return openAt.call(this, pathFlags, path, openFlags, flags);
};
process.argv[1] = 'samsung-bridge-wasi';
const mod = await import('./samsung-bridge-wasi.js');
try {
  await mod.run.run();
  await new Promise((resolve) => setTimeout(resolve));
  process.exit(0);
} catch (e) {
  // A `main` that returned a failure exit code ends `run` with an error
  // result (it has printed its message); anything else is a trap.
  if (e?.constructor?.name !== 'ComponentError' || e.payload !== undefined) console.error(e);
  process.exit(1);
}
