/**
 * Files an attestor needs that the build itself does not make: staged under reports/ (outside the
 * attested tree) and copied in by the step's command, so they become products.
 */
export interface StagedFile {
  /** Path under reports/. */
  name: string;
  /** Name of the product in the working directory. */
  product: string;
  /** Script lines that make the file from values the script computes (digests); absent for fixed content. */
  compute?: string[];
  /** Fixed text, written with a quoted here-document (never expanded); absent when `compute` makes the file. */
  content?: string;
  explain: string;
}

export function stagedFiles(setup: string, project: string): StagedFile[] {
  switch (setup) {
    case "sbom-spdx":
      return [
        {
          name: "sbom.spdx.json",
          product: "sbom.spdx.json",
          explain: "an SPDX document, as an SBOM generator would write it",
          content: `{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "${project}",
  "documentNamespace": "https://example.com/spdx/${project}-1.0.0",
  "creationInfo": { "created": "2024-01-01T00:00:00Z", "creators": ["Tool: example-sbom-1.0"] },
  "packages": [
    { "name": "${project}-bin", "SPDXID": "SPDXRef-Package", "versionInfo": "1.0.0", "downloadLocation": "NOASSERTION", "licenseDeclared": "MIT" }
  ]
}
`,
        },
      ];
    case "sbom-cyclonedx":
      return [
        {
          name: "bom.cdx.json",
          product: "bom.cdx.json",
          explain: "a CycloneDX bill of materials, as an SBOM generator would write it",
          content: `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "version": 1,
  "metadata": {
    "component": { "type": "application", "name": "${project}", "version": "1.0.0" }
  },
  "components": [
    { "type": "library", "name": "zlib", "version": "1.3.1", "purl": "pkg:generic/zlib@1.3.1" }
  ]
}
`,
        },
      ];
    case "secret":
      return [
        {
          name: "app.env",
          product: "app.env",
          explain: "the service's config file, shipped with a placeholder where the real token goes",
          content: "SERVICE_URL=https://api.example.com\nAPI_TOKEN=changeme\n",
        },
      ];
    case "sarif":
      return [
        {
          name: "lint.sarif",
          product: "lint.sarif",
          explain: "a SARIF report, as a linter would write it",
          content: `{
  "version": "2.1.0",
  "runs": [
    {
      "tool": { "driver": { "name": "example-lint", "version": "1.0.0" } },
      "results": [
        { "ruleId": "EX001", "level": "warning", "message": { "text": "prefer explicit error handling" } }
      ]
    }
  ]
}
`,
        },
      ];
    case "vex":
      return [
        {
          name: "app.vex.json",
          product: "app.vex.json",
          explain: "an OpenVEX statement about a vulnerability that does not affect the build",
          content: `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/${project}-1",
  "author": "Example Security Team",
  "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": { "name": "CVE-2024-0001" },
      "products": [ { "@id": "pkg:generic/${project}@1.0.0" } ],
      "status": "not_affected",
      "justification": "vulnerable_code_not_present"
    }
  ]
}
`,
        },
      ];
    case "docker":
      return [
        {
          name: "build-metadata.json",
          product: "build-metadata.json",
          // The digest is a value the script computes: printf fills it in (a here-document body never expands).
          compute: [
            `image_digest=$(printf '%s' "localhost/acme/${project}:1.0.0" | openssl dgst -sha256 -r | cut -d' ' -f1)`,
            `printf '{\\n  "containerimage.digest": "sha256:%s",\\n  "image.name": "localhost/acme/${project}:1.0.0"\\n}\\n' "$image_digest" > reports/build-metadata.json`,
          ],
          explain: "the metadata file `docker buildx build --metadata-file` writes (the digest is computed, not pasted)",
        },
      ];
    case "oci":
      return [
        {
          name: "image.tar",
          product: "image.tar",
          explain: "an image in `docker save` layout (manifest, config, one layer), as a builder would export it; its digests are computed by the script",
          compute: [
            "mkdir -p reports/image/layer",
            `printf '%s\\n' "${project} 1.0.0" > reports/image/layer/VERSION`,
            "(cd reports/image/layer && tar -cf ../layer.tar VERSION)",
            "layer_digest=$(openssl dgst -sha256 -r reports/image/layer.tar | cut -d' ' -f1)",
            `printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}\\n' "$layer_digest" > reports/image/config.json`,
            "config_digest=$(openssl dgst -sha256 -r reports/image/config.json | cut -d' ' -f1)",
            'mv reports/image/config.json "reports/image/$config_digest.json"',
            `printf '[{"Config":"%s.json","RepoTags":["localhost/acme/${project}:1.0.0"],"Layers":["layer.tar"]}]\\n' "$config_digest" > reports/image/manifest.json`,
            '(cd reports/image && tar -cf ../image.tar manifest.json "$config_digest.json" layer.tar)',
          ],
        },
      ];
    case "k8s":
      return [
        {
          name: "deploy.yaml",
          product: "deploy.yaml",
          explain: "a Kubernetes manifest the step renders",
          content: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${project}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${project} }
  template:
    metadata:
      labels: { app: ${project} }
    spec:
      containers:
        - name: app
          image: localhost/acme/${project}:1.0.0
`,
        },
      ];
    default:
      return [];
  }
}

/** pom.xml for the maven attestor: read from the working directory, no Maven run needed. */
export function pomXml(project: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>${project}</artifactId>
  <version>1.0.0</version>
  <name>${project}</name>
</project>
`;
}
