using System.Net.Http.Json;
using System.Text.Json;

namespace Aspire.Hosting;

/// <summary>Dashboard commands on books-api, each a call to one of its admin endpoints.</summary>
internal static class BooksApiCommands
{
    public const string SeedCommandName = "seed-sample-books";
    public const string DeleteAllCommandName = "delete-all-books";

    /// <summary>
    /// "Seed sample books" (idempotent) always; "Delete all books", behind a confirmation, only when the
    /// AppHost runs in Development (the API maps that endpoint only there too).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBooksAdminCommands(this IResourceBuilder<ProjectResource> api, bool isDevelopment)
    {
        api.WithHttpCommand("/api/admin/books/seed", "Seed sample books", commandName: SeedCommandName, commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            Description = "Loads the shipped sample books; books already stored (same ISBN) are left alone.",
            IconName = "DatabaseArrowUp",
            GetCommandResult = context => ReportAsync(context, body =>
                $"Inserted {body.GetProperty("inserted").GetInt32()} sample books; {body.GetProperty("alreadyPresent").GetInt32()} were already there."),
        });

        if (isDevelopment)
        {
            api.WithHttpCommand("/api/admin/books", "Delete all books", commandName: DeleteAllCommandName, commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Delete,
                Description = "Deletes every book in booksdb (Development only).",
                ConfirmationMessage = "Delete every book in booksdb? This cannot be undone.",
                IconName = "Delete",
                GetCommandResult = context => ReportAsync(context, body => $"Deleted {body.GetProperty("deleted").GetInt64()} books."),
            });
        }

        return api;
    }

    private static async Task<ExecuteCommandResult> ReportAsync(HttpCommandResultContext context, Func<JsonElement, string> describe)
    {
        if (!context.Response.IsSuccessStatusCode)
        {
            return CommandResults.Failure($"books-api answered {(int)context.Response.StatusCode} {context.Response.ReasonPhrase}.");
        }

        var body = await context.Response.Content.ReadFromJsonAsync<JsonElement>(context.CancellationToken).ConfigureAwait(false);
        return CommandResults.Success(describe(body));
    }
}
