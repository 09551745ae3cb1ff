"""Validates Kubernetes manifests offline, strictly (unknown fields are errors).

Built-in kinds are checked against the Kubernetes JSON schemas that kubernetes-validate (PyPI)
ships; custom resources against the openAPIV3Schema of the CRDs given with --crd, made strict
the way `kubectl apply --validate=strict` treats them. A document of a kind neither knows is an
error, not a warning. Prints one line per document; exits 1 when any fails.

  python validate.py --kubernetes 1.33 --crd keda.sh_scaledobjects.yaml manifests.yaml ...
"""
import argparse
import copy
import sys

import jsonschema
import yaml
from kubernetes_validate import utils


def strict(schema):
    """The schema with unknown properties refused wherever it lists properties."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if 'properties' in node and not node.get('x-kubernetes-preserve-unknown-fields'):
            node.setdefault('additionalProperties', False)
        for key in ('properties', 'patternProperties'):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ('items', 'additionalProperties', 'not'):
            walk(node.get(key))
        for key in ('allOf', 'anyOf', 'oneOf'):
            for child in node.get(key, []):
                walk(child)

    walk(schema)
    # Every object has these, whatever its CRD says.
    schema.setdefault('properties', {}).update({
        'apiVersion': {'type': 'string'},
        'kind': {'type': 'string'},
        'metadata': {'type': 'object'},
    })
    return schema


def crd_schemas(paths):
    schemas = {}
    for path in paths:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get('kind') != 'CustomResourceDefinition':
                    continue
                group = crd['spec']['group']
                kind = crd['spec']['names']['kind']
                for version in crd['spec']['versions']:
                    schema = version.get('schema', {}).get('openAPIV3Schema')
                    if schema:
                        schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kubernetes', required=True, help='Kubernetes version, e.g. 1.33')
    parser.add_argument('--crd', action='append', default=[], help='a CRD file (repeatable)')
    parser.add_argument('files', nargs='+')
    args = parser.parse_args()
    crds = crd_schemas(args.crd)
    failed = 0
    for path in args.files:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d]
        for doc in documents:
            name = f"{path}: {doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')}"
            try:
                schema = crds.get((doc.get('apiVersion'), doc.get('kind')))
                if schema is not None:
                    jsonschema.validators.Draft7Validator(schema).validate(doc)
                else:
                    utils.validate(doc, args.kubernetes, strict=True)
                print(f'valid   {name}')
            except utils.SchemaNotFoundError:
                failed += 1
                print(f"invalid {name}: no schema for {doc.get('apiVersion')} {doc.get('kind')} "
                      f"in Kubernetes {args.kubernetes} or the CRDs given")
            except (jsonschema.ValidationError, utils.ValidationError) as e:
                failed += 1
                error = getattr(e, 'caught', e)
                where = '.'.join(str(p) for p in getattr(error, 'absolute_path', []))
                print(f"invalid {name}: {where or '(top)'}: {getattr(error, 'message', error)}")
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
