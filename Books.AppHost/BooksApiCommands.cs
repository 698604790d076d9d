using System.Net.Http.Json;
using System.Text.Json;

namespace Books.AppHost;

/// <summary>Dashboard commands on books-api, each a call to one of its admin endpoints.</summary>
internal static class BooksApiCommands
{
    public const string SeedCommandName = "seed-sample-books";
    public const string DeleteAllCommandName = "delete-all-books";
    public const string IssueTokenCommandName = "issue-dev-token";

    /// <summary>
    /// "Seed sample books" (idempotent) always; "Delete all books", behind a confirmation, only when the
    /// AppHost runs in Development (the API maps that endpoint only there too).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBooksAdminCommands(
        this IResourceBuilder<ProjectResource> api, Func<CancellationToken, Task<string>> issueToken, bool isDevelopment)
    {
        // Commands are writes, so they carry a token from the identity provider, as any other caller does.
        async Task Authorize(HttpCommandRequestContext context) =>
            context.Request.Headers.Authorization = new("Bearer", await issueToken(context.CancellationToken).ConfigureAwait(false));

        api.WithHttpCommand("/api/admin/books/seed", "Seed sample books", commandName: SeedCommandName, commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            Description = "Loads the shipped sample books; books already stored (same ISBN) are left alone.",
            IconName = "DatabaseArrowUp",
            PrepareRequest = Authorize,
            GetCommandResult = context => ReportAsync(context, body =>
                $"Inserted {body.GetProperty("inserted").GetInt32()} sample books; {body.GetProperty("alreadyPresent").GetInt32()} were already there."),
        });

        return isDevelopment ? api.WithDevelopmentCommands(issueToken, Authorize) : api;
    }

    /// <summary>"Delete all books", behind a confirmation, and "Issue a development token": Development only.</summary>
    private static IResourceBuilder<ProjectResource> WithDevelopmentCommands(
        this IResourceBuilder<ProjectResource> api, Func<CancellationToken, Task<string>> issueToken, Func<HttpCommandRequestContext, Task> authorize)
    {
        api.WithHttpCommand("/api/admin/books", "Delete all books", commandName: DeleteAllCommandName, commandOptions: new HttpCommandOptions
        {
            Method = HttpMethod.Delete,
            Description = "Deletes every book in booksdb (Development only).",
            ConfirmationMessage = "Delete every book in booksdb? This cannot be undone.",
            IconName = "Delete",
            PrepareRequest = authorize,
            GetCommandResult = context => ReportAsync(context, body => $"Deleted {body.GetProperty("deleted").GetInt64()} books."),
        });

        api.WithCommand(IssueTokenCommandName, "Issue a development token", async context =>
        {
            try
            {
                return CommandResults.Success("A bearer token for writes from books-identity, valid for 1 hour.",
                    await issueToken(context.CancellationToken).ConfigureAwait(false), CommandResultFormat.Text);
            }
            catch (Exception error) when (error is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                return CommandResults.Failure($"books-identity gave no token: {error.Message}");
            }
        }, new CommandOptions
        {
            Description = "Asks books-identity for a bearer token with the books.write and books.admin scopes, for curl or the .http file (Development only).",
            IconName = "Key",
        });

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
