import type { ProjectConfig } from "../config/witness-schema.ts";
import { projectPackages, type Pkg } from "./manifests.ts";

/**
 * Files an attestor needs that the build itself does not make, written under reports/ (outside the attested tree) and
 * copied in by the step's command, so they become products. Each says where it comes from: `made` by a real tool in
 * the script (an image tarball by `tar`, its digests read from its bytes), or `staged`: written by hand because the
 * tool that makes it in a real pipeline (an SBOM generator, a scanner) cannot run offline here. The answer introduces
 * a staged file as staged, never as the step's own output (`render.ts` `reportsBlock` prints `intro`).
 */
export interface StagedFile {
  /** Path under reports/. */
  name: string;
  /** Name of the product in the working directory. */
  product: string;
  origin: "staged" | "made";
  /**
   * How the answer introduces the file, after "`product` is ": what it is, then where it comes from, in short
   * sentences (a sentence of a dozen words or fewer; answers share them, and long shared sentences teach by rote).
   */
  intro: string;
  /** Script lines that make the file from values the script computes (digests); absent for fixed content. */
  compute?: string[];
  /** Fixed text, written with a quoted here-document (never expanded); absent when `compute` makes the file. */
  content?: string;
}

const SBOM_WHY = "An SBOM generator such as syft writes it in a real pipeline. None runs offline here";

/** What an SBOM of the project lists, in short sentences: its package and where it was read, then its dependencies. */
function sbomWhat({ self, dependencies, from }: ReturnType<typeof projectPackages>): string {
  const own = `It lists \`${self.name}\` ${self.version} (${self.license})`;
  const read = from.length ? `${own}, read from \`${from[0]}\`.` : `${own}, named after the project. It has no package manifest.`;
  const lock = from[1] ? `\`${from[1]}\`` : "The project";
  const deps = dependencies.length ? `It adds the ${dependencies.length} dependencies ${lock} lists.` : `${lock} lists no dependencies.`;
  return `${read} ${deps}`;
}

const spdxId = (p: Pkg): string => `SPDXRef-Package-${p.name.replace(/[^A-Za-z0-9.-]/g, "-")}`;
const spdxPackage = (p: Pkg): string =>
  `    { "name": "${p.name}", "SPDXID": "${spdxId(p)}", "versionInfo": "${p.version}", "downloadLocation": "NOASSERTION", "licenseDeclared": "${p.license}", ` +
  `"externalRefs": [ { "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "${p.purl}" } ] }`;
const cdxComponent = (p: Pkg): string => `    { "type": "library", "name": "${p.name}", "version": "${p.version}", "purl": "${p.purl}" }`;

export function stagedFiles(setup: string, proj: ProjectConfig): StagedFile[] {
  const project = proj.name;
  switch (setup) {
    case "sbom-spdx": {
      const pkgs = projectPackages(proj);
      const all = [pkgs.self, ...pkgs.dependencies];
      return [
        {
          name: "sbom.spdx.json",
          product: "sbom.spdx.json",
          origin: "staged",
          intro: `an SPDX SBOM, staged by hand. ${sbomWhat(pkgs)} ${SBOM_WHY}`,
          content: `{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "${project}",
  "documentNamespace": "https://example.com/spdx/${project}-1.0.0",
  "creationInfo": { "created": "2024-01-01T00:00:00Z", "creators": ["Organization: Acme release team"] },
  "documentDescribes": ["${spdxId(pkgs.self)}"],
  "packages": [
${all.map(spdxPackage).join(",\n")}
  ]
}
`,
        },
      ];
    }
    case "sbom-cyclonedx": {
      const pkgs = projectPackages(proj);
      return [
        {
          name: "bom.cdx.json",
          product: "bom.cdx.json",
          origin: "staged",
          intro: `a CycloneDX SBOM, staged by hand. ${sbomWhat(pkgs)} ${SBOM_WHY}`,
          content: `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "version": 1,
  "metadata": {
    "component": { "type": "application", "name": "${project}", "version": "${pkgs.self.version}", "purl": "${pkgs.self.purl}", "licenses": [ { "license": { "id": "${pkgs.self.license}" } } ] }
  },
  "components": [${pkgs.dependencies.length ? `\n${pkgs.dependencies.map(cdxComponent).join(",\n")}\n  ` : ""}]
}
`,
        },
      ];
    }
    case "secret":
      return [
        {
          name: "app.env",
          product: "app.env",
          origin: "staged",
          intro: "the service's config file, written by hand. `changeme` stands where the real token goes",
          content: "SERVICE_URL=https://api.example.com\nAPI_TOKEN=changeme\n",
        },
      ];
    case "sarif":
      return [
        {
          name: "lint.sarif",
          product: "lint.sarif",
          origin: "staged",
          intro: "a linter's SARIF report, staged by hand. No SARIF linter runs offline here; a real step runs one",
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
          origin: "staged",
          intro: "an OpenVEX statement, staged by hand. A security team writes VEX, not the build",
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
          origin: "staged",
          intro:
            "what `docker buildx build --metadata-file` writes, staged by hand. No image builder runs offline here. " +
            "Its digests are of an image config and manifest written first. `openssl dgst` reads each from the file's bytes",
          // Real digests of real bytes: the config, then the manifest that names the config by digest and size.
          compute: [
            'printf \'%s\\n\' \'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}\' > reports/image-config.json',
            "config_digest=$(openssl dgst -sha256 -r reports/image-config.json | cut -d' ' -f1)",
            "config_size=$(wc -c < reports/image-config.json | tr -d ' ')",
            `printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[]}\\n' "$config_digest" "$config_size" > reports/image-manifest.json`,
            "image_digest=$(openssl dgst -sha256 -r reports/image-manifest.json | cut -d' ' -f1)",
            `printf '{\\n  "containerimage.config.digest": "sha256:%s",\\n  "containerimage.digest": "sha256:%s",\\n  "image.name": "localhost/acme/${project}:1.0.0"\\n}\\n' "$config_digest" "$image_digest" > reports/build-metadata.json`,
          ],
        },
      ];
    case "oci":
      return [
        {
          name: "image.tar",
          product: "image.tar",
          origin: "made",
          intro: "a `docker save` tarball, built here with `tar`. Each digest in it is read from file bytes by `openssl dgst`",
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
          origin: "staged",
          intro: "a Kubernetes Deployment, written by hand as such manifests are",
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

/** pom.xml for the maven attestor (Java projects only, `projects` on its entry): read from the working directory, no Maven run needed. */
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
