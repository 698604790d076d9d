namespace Books.AppHost;

/// <summary>Links on books-api's dashboard row to its contract.</summary>
internal static class BooksApiLinks
{
    public const string OpenApiDocumentPath = "/openapi/v1.json";
    public const string ApiReferencePath = "/scalar/v1";

    /// <summary>The OpenAPI document, and in Development (where books-api serves it) the Scalar API reference.</summary>
    public static IResourceBuilder<ProjectResource> WithApiReferenceLinks(this IResourceBuilder<ProjectResource> api, bool isDevelopment) =>
        api.WithUrls(context =>
        {
            if (context.Urls.FirstOrDefault(url => url.Endpoint?.EndpointName == "http") is not { } http)
            {
                return;
            }

            var root = http.Url.TrimEnd('/');
            if (isDevelopment)
            {
                context.Urls.Add(new ResourceUrlAnnotation { Url = root + ApiReferencePath, DisplayText = "API reference (Scalar)", Endpoint = http.Endpoint });
            }

            context.Urls.Add(new ResourceUrlAnnotation { Url = root + OpenApiDocumentPath, DisplayText = "OpenAPI document", Endpoint = http.Endpoint });
        });
}
