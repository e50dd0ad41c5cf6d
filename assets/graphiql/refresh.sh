#!/usr/bin/env bash
# Vendors the GraphiQL page's scripts and styles from their npm packages, at
# the pinned versions below: production builds only, with each package's
# licence. The server embeds these files (src/http/graphiql/assets.rs), so
# GraphiQL works with no outside network. To upgrade, change a version, run
# this, and check the page with tests/browser.
set -euo pipefail

GRAPHIQL_VERSION=4.1.2 # the last GraphiQL with a UMD build (5.x is ESM with Monaco)
REACT_VERSION=18.3.1   # the last React with UMD builds; GraphiQL 4 needs React 18 or 19

cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

packages=("graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION")
(cd "$work" && npm pack --silent "${packages[@]}" >/dev/null)
for tarball in "$work"/*.tgz; do
  name="$(basename "$tarball" .tgz)"
  mkdir -p "$work/$name"
  tar -xzf "$tarball" -C "$work/$name"
done

cp "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" graphiql.min.js
cp "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" graphiql.min.css
cp "$work/react-$REACT_VERSION/package/umd/react.production.min.js" react.production.min.js
cp "$work/react-dom-$REACT_VERSION/package/umd/react-dom.production.min.js" react-dom.production.min.js
# The bundles end by naming their source maps, which are not vendored: the
# browser would ask for them (and log a 404) whenever its developer tools open.
sed -i '/^\/\/# sourceMappingURL=/d; /^\/\*# sourceMappingURL=.*\*\/$/d' ./*.js ./*.css

{
  echo "# Vendored by refresh.sh from the npm registry; the server embeds these files."
  echo "# package version npm-integrity"
  for package in "${packages[@]}"; do
    echo "$package $(npm view "$package" dist.integrity)"
  done
  echo
  echo "# file sha256"
  sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
} > VERSIONS

{
  for package in "${packages[@]}"; do
    name="${package%@*}"
    version="${package##*@}"
    echo "==== $name $version (https://www.npmjs.com/package/$name) ===="
    cat "$work/$name-$version/package/LICENSE"
    echo
  done
} > LICENSES
echo "vendored: ${packages[*]}"
