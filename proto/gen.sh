#!/usr/bin/env bash
# Generates packages/api/src/gen from proto/: TypeScript types, codecs and gRPC service
# definitions (ts-proto), plus a reflection descriptor that the manifest codec walks.
# Needs protoc (Debian: protobuf-compiler). The output is committed, so building and
# running Orchard never needs protoc; `npm run gen` after editing a .proto file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=packages/api/src/gen
command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,oneof=unions,useOptionals=messages,forceLong=number,useDate=false,exportCommonSymbols=false \
  -I proto proto/orchard/v1/*.proto
node packages/api/scripts/descriptor.js proto "$out/descriptor.json"
echo "generated $(find "$out" -type f | wc -l) files in $out"
