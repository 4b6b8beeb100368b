// Starts Swagger UI on /docs. A file of the app's rather than an inline script, so that the docs page,
// like every other page, runs under script-src 'self'.
"use strict";

(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The default asks validator.swagger.io for a badge: the one request that would leave the app.
    validatorUrl: null,
  });
})();
