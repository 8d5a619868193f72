// Build the world map ECharts draws (static/vendor/world.geojson) from Natural Earth's
// TopoJSON in the npm package world-atlas. Each country keeps its ISO 3166-1 numeric
// code as `id` and its name; the server maps the hub's alpha-2 codes to these ids.
import { readFileSync, writeFileSync } from "node:fs";
import { feature } from "topojson-client";

const [source, target] = process.argv.slice(2);
const topology = JSON.parse(readFileSync(source, "utf8"));
const countries = feature(topology, topology.objects.countries);
for (const f of countries.features) {
  f.properties = { id: f.id ?? "", name: f.properties?.name ?? "" };
}
writeFileSync(target, JSON.stringify(countries));
