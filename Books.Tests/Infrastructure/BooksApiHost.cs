using System.Net;
using Books.Api.Books;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Books.Tests.Infrastructure;

/// <summary>Books.Api in this process (WebApplicationFactory), pointed at a given MongoDB.</summary>
public static class BooksApiHost
{
    // Any public type of Books.Api names its entry assembly; `Program` is ambiguous beside the AppHost's.
    public const string SigningKey = "in-process-test-signing-key-0123456789abcdef";

    public static WebApplicationFactory<Book> Create(
        string connectionString,
        Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string>? settings = null,
        string environment = "Development") =>
        new WebApplicationFactory<Book>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }

            web.UseEnvironment(environment);
            web.UseSetting("ConnectionStrings:booksdb", connectionString);
            web.UseSetting("Books:Auth:SigningKey", SigningKey);
            if (services is not null)
            {
                web.ConfigureServices(services);
            }
        });

    /// <summary>
    /// Serves over real HTTP: Kestrel on a loopback port the OS picks when it binds. (UseKestrel(0) would leave
    /// Kestrel on its default, port 5000, which two hosts at once, or anything else on the machine, collide on.)
    /// </summary>
    public static void StartOnKestrel(this WebApplicationFactory<Book> api)
    {
        api.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        api.StartServer();
    }

    /// <summary>A client that carries a write token for a caller of its own.</summary>
    public static HttpClient CreateWriterClient(this WebApplicationFactory<Book> api)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Writer(SigningKey));
        return client;
    }
}
