import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** The Kiuru WSDL (vendor/kiuru-wsdl) with our endpoint address, and the schema files it imports by relative path. */
const WSDL_DIR = resolve(__dirname, '../../../vendor/kiuru-wsdl');
const PLACEHOLDER = 'http://127.0.0.1:8080/this-is-replaced-at-runtime';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [relative(WSDL_DIR, full).split('\\').join('/')];
  });
}

export interface WsdlDocuments {
  /** The WSDL with every port's address set to `endpointUrl`. */
  wsdl(endpointUrl: string): string;
  /** A schema file by its path relative to the WSDL (`schema/methics/…`), or undefined: only files present are served. */
  schema(path: string): Buffer | undefined;
}

export function loadWsdlDocuments(): WsdlDocuments {
  const template = readFileSync(join(WSDL_DIR, 'etsi204-kiuru.wsdl'), 'utf8');
  const files = new Set(listFiles(join(WSDL_DIR, 'schema')).filter((f) => /\.(xsd|dtd)$/.test(f)));
  return {
    wsdl: (endpointUrl) => template.split(PLACEHOLDER).join(endpointUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;')),
    schema: (path) => (files.has(path) ? readFileSync(join(WSDL_DIR, path)) : undefined),
  };
}
