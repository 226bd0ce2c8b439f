// Files imported `with { type: "file" }` resolve to a path: on disk from source, under /$bunfs/ when compiled.
declare module "*.so" {
  const path: string;
  export default path;
}
