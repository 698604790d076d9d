using Books.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Books.Tests.Infrastructure;

/// <summary>Books.Api in this process (WebApplicationFactory), pointed at a given MongoDB.</summary>
public static class BooksApiHost
{
    /// <summary>The identity provider in-process books-apis trust, unless a test gives its own.</summary>
    public static InProcessIdentityProvider Identity => InProcessIdentityProvider.Shared;

    public static WebApplicationFactory<BooksApiAssembly> Create(
        string connectionString,
        Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string>? settings = null,
        string environment = "Development") =>
        new WebApplicationFactory<BooksApiAssembly>().WithWebHostBuilder(web =>
        {
            // Outside Development books-api answers only its allowed hosts: the test server's and loopback Kestrel's.
            var hosts = environment == "Development" ? [] : new Dictionary<string, string> { ["AllowedHosts"] = "localhost;127.0.0.1" };
            foreach (var (key, value) in Identity.ApiSettings().Concat(hosts).Concat(settings ?? new Dictionary<string, string>()))
            {
                web.UseSetting(key, value);
            }

            web.UseEnvironment(environment);
            web.UseSetting("ConnectionStrings:booksdb", connectionString);
            if (services is not null)
            {
                web.ConfigureServices(services);
            }
        });

    /// <summary>
    /// Serves over real HTTP: Kestrel on a loopback port the OS picks when it binds. (UseKestrel(0) would leave
    /// Kestrel on its default, port 5000, which two hosts at once, or anything else on the machine, collide on.)
    /// </summary>
    public static void StartOnKestrel(this WebApplicationFactory<BooksApiAssembly> api)
    {
        api.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        api.StartServer();
    }

    /// <summary>Starts Kestrel on a loopback port (see <see cref="StartOnKestrel"/>) and returns the port.</summary>
    public static int StartOnKestrelPort(this WebApplicationFactory<BooksApiAssembly> api)
    {
        api.StartOnKestrel();
        using var probe = api.CreateClient();
        return probe.BaseAddress!.Port;
    }

    /// <summary>A client that carries a write token from the provider, for a caller (client) of its own.</summary>
    public static HttpClient CreateWriterClient(this WebApplicationFactory<BooksApiAssembly> api) =>
        api.CreateClientOf(Identity.Clients.NextWriter());

    /// <summary>A client that carries a token with the write and admin scopes from the provider.</summary>
    public static HttpClient CreateAdminClient(this WebApplicationFactory<BooksApiAssembly> api) =>
        api.CreateClientOf(TestClients.Admin);

    /// <summary>A client that carries a token of <paramref name="clientId"/>'s from the provider.</summary>
    public static HttpClient CreateClientOf(this WebApplicationFactory<BooksApiAssembly> api, string clientId, string scopes = "")
    {
        // CreateClient knows the address (the test server's, or Kestrel's once started); CreateDefaultClient does not.
        using var plain = api.CreateClient();
        return api.CreateDefaultClient(plain.BaseAddress!, Identity.Tokens.BearerFor(clientId, scopes));
    }
}
