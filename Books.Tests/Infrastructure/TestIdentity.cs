using Books.AppHost;
using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Books.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

[assembly: AssemblyFixture(typeof(Books.Tests.Infrastructure.SharedIdentityProviderDisposal))]

namespace Books.Tests.Infrastructure;

/// <summary>
/// The clients the tests register with books-identity (in process, or through the AppHost), all with one
/// secret generated per provider: a pool of writers, so each test client can be a caller of its own with its
/// own rate-limit budget, and one client per kind of token a test needs the real provider to make.
/// </summary>
public sealed class TestClients
{
    public const int Writers = 48;
    public const string Reader = "test-reader";                 // books.read: a valid token without the write scope
    public const string ReaderAndWriter = "test-read-write";    // books.read books.write
    public const string Admin = "test-admin";                   // books.write books.admin
    public const string OtherAudience = "test-other-api";       // other.write, which belongs to another API
    public const string ShortLived = "test-short-lived";        // books.write, tokens that live 1 s

    private int _nextWriter = -1;

    public string Secret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>A writer client no other caller of this provider has had yet (the pool wraps around after <see cref="Writers"/>).</summary>
    public string NextWriter() => $"test-writer-{(Interlocked.Increment(ref _nextWriter) % Writers):D2}";

    /// <summary>The provider's configuration for these clients, with <paramref name="separator"/> between keys (":" for settings, "__" for the environment).</summary>
    public IReadOnlyDictionary<string, string> Settings(string separator)
    {
        var clients = Enumerable.Range(0, Writers).Select(i => ($"test-writer-{i:D2}", "books.write", (string?)null))
            .Append((Reader, "books.read", null))
            .Append((ReaderAndWriter, "books.read books.write", null))
            .Append((Admin, "books.write books.admin", null))
            .Append((OtherAudience, "other.write", null))
            .Append((ShortLived, "books.write", "00:00:01"));
        var settings = new Dictionary<string, string>
        {
            [Key("Identity", "Scopes", "books.read")] = "books-api",
            [Key("Identity", "Scopes", "other.write")] = "other-api",
        };
        foreach (var (id, scopes, lifetime) in clients)
        {
            settings[Key("Identity", "Clients", id, "Secret")] = Secret;
            settings[Key("Identity", "Clients", id, "Scopes")] = scopes;
            if (lifetime is not null)
            {
                settings[Key("Identity", "Clients", id, "AccessTokenLifetime")] = lifetime;
            }
        }

        return settings;

        string Key(params string[] parts) => string.Join(separator, parts);
    }
}

/// <summary>Tokens from one provider by the client-credentials grant, each kept until shortly before it expires.</summary>
public sealed class ProviderTokenSource(Func<Uri> provider, TestClients clients)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string, string), (string Token, DateTime Until)> _tokens = new();

    public TestClients Clients => clients;

    /// <summary>A token with the write scope for a writer client no test had before.</summary>
    public Task<string> WriterTokenAsync(CancellationToken cancellationToken) => TokenAsync(clients.NextWriter(), "books.write", cancellationToken);

    /// <summary>A valid token without the write scope.</summary>
    public Task<string> ReaderTokenAsync(CancellationToken cancellationToken, TimeSpan? budget = null) =>
        TokenAsync(TestClients.Reader, "books.read", cancellationToken, budget);

    public Uri Provider => provider();

    /// <summary>
    /// A token of <paramref name="clientId"/>'s, from the provider within <paramref name="budget"/> (30 s unless given),
    /// kept for later calls until 30 s before it expires.
    /// </summary>
    public async Task<string> TokenAsync(string clientId, string scopes = "", CancellationToken cancellationToken = default, TimeSpan? budget = null)
    {
        var wait = budget ?? s_budget;
        if (_tokens.TryGetValue((clientId, scopes), out var kept) && kept.Until > DateTime.UtcNow)
        {
            return kept.Token;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        string token;
        while (true)
        {
            try
            {
                // The whole budget for one answer: a provider that has just started issues its first token after JIT-compiling
                // OpenIddict, which can take longer than the product's 10 s on a busy machine.
                token = await ProviderTokens.RequestAsync(provider(), clientId, clients.Secret, scopes, timeout.Token, wait);
                break;
            }
            catch (HttpRequestException) when (!timeout.IsCancellationRequested)
            {
                // A provider that is still starting refuses the connection; the budget ends the wait.
                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
        }

        _tokens[(clientId, scopes)] = (token, new JsonWebToken(token).ValidTo.AddSeconds(-30));
        return token;
    }

    /// <summary>A message handler that sends a token of <paramref name="clientId"/>'s with every request that carries none of its own.</summary>
    public DelegatingHandler BearerFor(string clientId, string scopes = "") => new BearerHandler(this, clientId, scopes);

    private sealed class BearerHandler(ProviderTokenSource source, string clientId, string scopes) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= new AuthenticationHeaderValue("Bearer", await source.TokenAsync(clientId, scopes, cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// books-identity in this process, on Kestrel at a loopback port: what the in-process books-api tests take their
/// tokens from. Its signing keys are in a folder this class creates, so a test can rotate them (add a key,
/// restart) and sign the token shapes the provider never issues, to show they are refused.
/// </summary>
public sealed class InProcessIdentityProvider : IAsyncDisposable
{
    private static readonly Lazy<InProcessIdentityProvider> s_shared = new(() => new InProcessIdentityProvider());

    private WebApplicationFactory<BooksIdentityAssembly> _host;

    /// <summary>One provider for all the in-process tests of this run, started by the first that asks, disposed (its key
    /// folder deleted) after the last (<see cref="SharedIdentityProviderDisposal"/>).</summary>
    public static InProcessIdentityProvider Shared => s_shared.Value;

    internal static async ValueTask DisposeSharedAsync()
    {
        if (s_shared.IsValueCreated)
        {
            await s_shared.Value.DisposeAsync();
        }
    }

    public InProcessIdentityProvider(int port = 0, string? keyDirectory = null)
    {
        KeyDirectory = keyDirectory ?? Directory.CreateTempSubdirectory("books-tests-identity-").FullName;
        _host = Start(port);
        Address = new Uri(_host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Tokens = new ProviderTokenSource(() => Address, Clients);
    }

    public TestClients Clients { get; } = new();

    public ProviderTokenSource Tokens { get; }

    public string KeyDirectory { get; }

    /// <summary>The provider's address, its issuer: http://127.0.0.1:port.</summary>
    public Uri Address { get; }

    /// <summary>books-api's settings for trusting this provider.</summary>
    public IReadOnlyDictionary<string, string> ApiSettings(Uri? address = null) => new Dictionary<string, string>
    {
        [BooksApiSettings.AuthorityKey] = (address ?? Address).ToString(),
        [$"{BooksApiSettings.AudiencesKey}:0"] = BooksApiSettings.Audience,
    };

    /// <summary>Stops the provider and starts it again on the same port (with the keys the folder has now).</summary>
    public async Task RestartAsync()
    {
        await _host.DisposeAsync();
        _host = Start(Address.Port);
    }

    /// <summary>
    /// A token with the claims a test picks, signed with the provider's newest key (its <c>kid</c> published), or with
    /// <paramref name="key"/>: for the token shapes the provider never makes.
    /// </summary>
    public string Sign(IDictionary<string, object> claims, SecurityKey? key = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var signing = key ?? NewestKey();
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(signing, algorithm),
        });
    }

    /// <summary>The claims of a writer's token from this provider, for <see cref="Sign"/> to vary.</summary>
    public Dictionary<string, object> WriterClaims(string subject)
    {
        var now = DateTimeOffset.UtcNow;
        return new Dictionary<string, object>
        {
            ["iss"] = Address.ToString(),
            ["aud"] = "books-api",
            ["sub"] = subject,
            ["scope"] = "books.write",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(30).ToUnixTimeSeconds(),
        };
    }

    public RsaSecurityKey NewestKey()
    {
        var path = Directory.EnumerateFiles(KeyDirectory, "*.pem").Max(StringComparer.Ordinal)
            ?? throw new InvalidOperationException($"No key in {KeyDirectory}.");
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        var key = new RsaSecurityKey(rsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }

    private WebApplicationFactory<BooksIdentityAssembly> Start(int port)
    {
        var host = new WebApplicationFactory<BooksIdentityAssembly>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("Identity:KeyDirectory", KeyDirectory);
            foreach (var (key, value) in Clients.Settings(":"))
            {
                web.UseSetting(key, value);
            }
        });
        host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        host.StartServer();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(KeyDirectory, recursive: true);
    }
}

/// <summary>An assembly fixture: xUnit disposes it after every test of the run, and with it the shared provider.</summary>
public sealed class SharedIdentityProviderDisposal : IAsyncDisposable
{
    public ValueTask DisposeAsync() => InProcessIdentityProvider.DisposeSharedAsync();
}
