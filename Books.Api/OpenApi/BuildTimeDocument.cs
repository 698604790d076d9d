using Books.Settings;
using System.Reflection;
using Books.Api.Security;

namespace Books.Api.OpenApi;

/// <summary>
/// Build-time OpenAPI generation (Microsoft.Extensions.ApiDescription.Server) runs Program.cs inside its
/// GetDocument.Insider tool only to read the endpoints: it serves nothing and connects to nothing, and it
/// has none of the configuration the AppHost supplies. It gets placeholder settings, so that the startup
/// checks that stop a misconfigured service do not stop the build.
/// </summary>
internal static class BuildTimeDocument
{
    public static bool IsGenerating => Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    public static void UsePlaceholderSettings(IHostApplicationBuilder builder)
    {
        if (!IsGenerating)
        {
            return;
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{BooksApiSettings.DatabaseConnectionName}"] = $"mongodb://localhost/{BooksApiSettings.DatabaseConnectionName}",
            [BooksApiSettings.AuthorityKey] = "https://localhost/",
            [$"{BooksApiSettings.AudiencesKey}:0"] = BooksApiSettings.Audience,
            [BooksApiSettings.AllowedHostsKey] = "localhost",
        });
    }
}
