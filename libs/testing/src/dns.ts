import dns2 from 'dns2';

export interface DnsServer {
  /** `127.0.0.1:<port>`, for DNS_SERVERS. */
  address: string;
  /** TXT records by lower-case name; change it while the server runs. */
  txt: Map<string, string[]>;
  /** Questions asked so far (name and type), to prove the lookup came here. */
  asked: { name: string; type: number }[];
  close(): Promise<void>;
}

/** A real DNS server (UDP, dns2) on loopback answering TXT questions from a map; everything else is NXDOMAIN. */
export async function startDnsServer(): Promise<DnsServer> {
  const { Packet } = dns2;
  const txt = new Map<string, string[]>();
  const asked: DnsServer['asked'] = [];
  const server = dns2.createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    asked.push({ name: q.name, type: q.type });
    const values = q.type === Packet.TYPE.TXT ? txt.get(q.name.toLowerCase()) : undefined;
    if (!values) response.header.rcode = 3; // NXDOMAIN
    else for (const data of values) response.answers.push({ name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data } as unknown as (typeof response.answers)[number]);
    void send(response);
  });
  await server.listen(0, '127.0.0.1');
  const { port } = server.address();
  return { address: `127.0.0.1:${port}`, txt, asked, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
