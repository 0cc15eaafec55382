declare module "*.toml" {
  const text: string;
  export default text;
}

declare module "*/Dockerfile" {
  const text: string;
  export default text;
}
