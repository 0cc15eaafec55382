import Docker from "dockerode";

const docker = new Docker();

/** sekft's containers on the engine, or only those of one process (other runs may share the engine). */
export async function labelled(pid?: number): Promise<number> {
  const label = pid ? ["sekft=1", `sekft.pid=${pid}`] : ["sekft=1"];
  return (await docker.listContainers({ all: true, filters: { label } })).length;
}
