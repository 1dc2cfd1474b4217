// Starts Swagger UI on /api/v1/reference (a file, not an inline script: the Content-Security-Policy allows only 'self').
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.specUrl,
    domNode: element,
    deepLinking: true,
    validatorUrl: null,  // no request to another host (the public validator)
  });
});
