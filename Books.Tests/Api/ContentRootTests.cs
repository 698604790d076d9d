namespace Books.Tests.Api;

/// <summary>
/// The built books-api started as a service manager starts it, from whatever working directory it gives (systemd's
/// default is /). ASP.NET Core's content root, where appsettings.json is read from, is the working directory unless
/// something says otherwise; started elsewhere, books-api would run without its settings file, silently. Shown by the
/// setting its appsettings.json makes: Microsoft.AspNetCore at Warning, so no "Request starting" line per request.
///
/// | started from           | content root given                   | expected                                         |
/// |------------------------|--------------------------------------|--------------------------------------------------|
/// | another folder         | none                                 | its own appsettings.json: no per-request line    |
/// | another folder         | ASPNETCORE_CONTENTROOT, a folder whose appsettings.json logs requests | that one wins: per-request lines |
/// </summary>
public sealed class ContentRootTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Settings_come_from_the_content_root_not_the_working_directory(bool contentRootGiven, bool requestsLogged)
    {
        var elsewhere = Directory.CreateTempSubdirectory("books-elsewhere-");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__booksdb"] = "mongodb://127.0.0.1:1/booksdb?serverSelectionTimeoutMS=500",
                ["Authentication__Schemes__Bearer__Authority"] = "http://127.0.0.1:1/",
                ["Authentication__Schemes__Bearer__ValidAudiences__0"] = "books-api",
                ["AllowedHosts"] = "localhost",
            };
            if (contentRootGiven)
            {
                await File.WriteAllTextAsync(Path.Combine(elsewhere.FullName, "appsettings.json"),
                    """{ "Logging": { "LogLevel": { "Default": "Information" } } }""", Cancellation);
                environment["ASPNETCORE_CONTENTROOT"] = elsewhere.FullName;
            }

            await using var api = await BuiltBooksApi.StartAsync(environment, elsewhere.FullName, Cancellation);
            using var client = api.CreateClient();
            for (var i = 0; i < 3; i++)
            {
                using var alive = await client.GetAsync("/alive", Cancellation);
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Cancellation); // the console logger writes on a thread of its own
            Assert.True(requestsLogged == api.Output.Any(line => line.Contains("Request starting", StringComparison.Ordinal)),
                $"expected request lines: {requestsLogged}; books-api printed:\n{string.Join('\n', api.Output)}");
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }
}
