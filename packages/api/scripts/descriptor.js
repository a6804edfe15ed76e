// Writes the protobufjs reflection of proto/ as JSON, so the manifest codec can walk
// message fields (names, types, repetition) without parsing .proto files at run time.
'use strict';
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const [protoDir, outFile] = process.argv.slice(2);
const dir = path.join(protoDir, 'orchard', 'v1');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).sort();
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(protoDir, target);
root.loadSync(files.map((f) => `orchard/v1/${f}`), { keepCase: false });
root.resolveAll();
fs.writeFileSync(outFile, JSON.stringify(root.toJSON({ keepComments: false }), null, 1) + '\n');
