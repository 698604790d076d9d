using Books.Settings;

namespace Books.AppHost;

/// <summary>The Host names books-api answers for outside Development (its <c>AllowedHosts</c>).</summary>
public static class BooksApiHosts
{
    public const string AllowedHostsParameter = "books-api-allowed-hosts";

    /// <summary>
    /// Publish mode: the deployer names them (for example books.example.com), as a parameter; books-api refuses to
    /// start outside Development without them. Run mode: books-api runs in Development, which answers any host.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAllowedHosts(this IResourceBuilder<ProjectResource> api) =>
        api.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? api.WithEnvironment(BooksApiSettings.AllowedHostsKey, api.ApplicationBuilder.AddParameter(AllowedHostsParameter).WithDescription(
                "The Host names books-api answers for, separated by ';' (books.example.com;*.books.example.com); '*' is refused."))
            : api;
}
