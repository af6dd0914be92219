// A client generated from pingme's OpenAPI document (openapi-typescript's types, used by
// openapi-fetch) logs in and lists servers. Compiled with `tsc --strict` first: a document
// whose paths, bodies or answers are wrong does not type-check.
//
// Usage: node dist/login-and-list.js <base url> <username> <password> <expected server name>
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const [baseUrl, username, password, expected] = process.argv.slice(2);
const api = createClient<paths>({ baseUrl });

const login = await api.POST("/api/token/", { body: { username, password } });
if (!login.data) {
    throw new Error(`login refused: ${login.response.status} ${JSON.stringify(login.error)}`);
}
const access: string = login.data.access;

const authorized = { headers: { Authorization: `Bearer ${access}` } };
const me = await api.GET("/api/account/me/", authorized);
if (!me.data) throw new Error(`me: ${me.response.status}`);

const servers = await api.GET("/api/servers/", {
    ...authorized,
    params: { query: { by_user: true, with_num_members: true } },
});
if (!servers.data) throw new Error(`servers: ${servers.response.status}`);
const names: string[] = servers.data.map((server) => server.name);
if (!names.includes(expected)) {
    throw new Error(`${expected} not among the servers listed: ${names.join(", ")}`);
}
const mine = servers.data.filter((server) => server.owner_id === me.data.id);
console.log(
    `generated client: logged in as ${me.data.owner} (account ${me.data.id}), ` +
        `listed ${servers.data.length} server(s), ${mine.length} owned: ${names.join(", ")}`,
);
