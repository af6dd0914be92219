// Posts one message over the chat socket (Node's WebSocket, `--experimental-websocket` on
// Node 20), so that the schema fuzzer finds a message to read, edit and delete.
//
// Usage: node [--experimental-websocket] dist/seed-message.js <base url> <access token> <server> <channel>
const [baseUrl, access, server, channel] = process.argv.slice(2);
const url = `${baseUrl.replace(/^http/, "ws")}/${server}/${channel}?token=${access}`;
const socket = new WebSocket(url);
const echoed = new Promise<unknown>((resolve, reject) => {
    // Unreferenced: it must not keep Node running once the echo has come.
    setTimeout(() => reject(new Error("no echo within 10 s")), 10_000).unref();
    socket.onopen = () => socket.send(JSON.stringify({ type: "message", message: "seeded" }));
    socket.onmessage = (event) => resolve(JSON.parse(String(event.data)));
    socket.onerror = () => reject(new Error(`socket ${url} failed`));
});
const frame = (await echoed) as { message?: { id: number } };
if (!frame.message) throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
console.log(`seeded message ${frame.message.id} in channel ${channel}`);
socket.close();
