// Renders the OpenAPI document as a plain list of routes: no CDN, works offline.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const main = document.getElementById("routes");
  const spec = await (await fetch("/api/openapi.json")).json();
  main.replaceChildren();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const card = document.createElement("section");
      card.className = "card";
      const title = document.createElement("h2");
      title.textContent = `${method.toUpperCase()} ${path}`;
      const text = document.createElement("p");
      text.textContent = op.description || op.summary || "";
      const codes = document.createElement("p");
      codes.textContent = "Answers: " + Object.keys(op.responses || {}).join(", ");
      card.append(title, text, codes);
      main.append(card);
    }
  }
});
