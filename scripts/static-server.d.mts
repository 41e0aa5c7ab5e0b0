export interface StaticServer {
  port: number;
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}
export function startStaticServer(options: {
  root: string;
  dirs: string[];
  host?: string;
  port?: number;
  index?: string | null;
  log?: ((line: string) => void) | null;
}): Promise<StaticServer>;
