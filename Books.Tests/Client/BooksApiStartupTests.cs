using Books.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Books.Tests.Client;

/// <summary>What stopped books-api's start in a WebApplicationFactory.</summary>
internal static class FailedStart
{
    /// <summary>
    /// The exception that stopped a host <paramref name="create"/> makes. When the host fails to start, the factory's
    /// DeferredHost can lose a race with the host's disposal and throw ObjectDisposedException instead of the cause
    /// (dotnet/aspnetcore#33494; seen once in 5 runs of these tests): that start is tried again, at most three times.
    /// </summary>
    public static Exception Of(Func<WebApplicationFactory<BooksApiAssembly>> create)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var factory = create();
            var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
            if (error is not ObjectDisposedException || attempt == 3)
            {
                return error;
            }
        }
    }
}

/// <summary>Books.Api as a whole refuses to start on bad MongoDB configuration, before serving anything.</summary>
public sealed class BooksApiStartupTests
{
    private static Exception StartWith(string? connectionString) =>
        FailedStart.Of(() => new WebApplicationFactory<BooksApiAssembly>().WithWebHostBuilder(web =>
            web.UseSetting("ConnectionStrings:booksdb", connectionString)));

    [Theory]
    [InlineData("")]
    [InlineData("mongodb://localhost:27017")]
    [InlineData("localhost:27017/booksdb")]
    public void Bad_connection_string_names_the_key(string connectionString)
    {
        var error = StartWith(connectionString);

        Assert.Contains("ConnectionStrings:booksdb", error.Message);
    }

    [Fact]
    public void Connection_string_without_database_says_where()
    {
        var error = StartWith("mongodb://localhost:27017");

        Assert.Contains("e.g. mongodb://host:27017/booksdb", error.Message);
        Assert.Contains("reference the database resource (AddDatabase), not the server.", error.Message);
    }
}

/// <summary>
/// Connection-string options under which books-api could not answer truthfully stop startup, naming the key: the
/// driver's timeoutMS (it drops every maxTimeMS and wtimeout books-api sets; MongoDB driver specification
/// client-side-operations-timeout) and reads from secondaries (MongoDB manual, read preference: secondaries may return
/// stale data). The options are case-insensitive (connection-string specification).
/// </summary>
public sealed class BooksApiConnectionOptionsTests
{
    private static Exception StartWith(string connectionString) =>
        FailedStart.Of(() => new WebApplicationFactory<BooksApiAssembly>().WithWebHostBuilder(web =>
            web.UseSetting("ConnectionStrings:booksdb", connectionString)));

    [Theory]
    [InlineData("mongodb://127.0.0.1:1/booksdb?timeoutMS=5000", "timeoutMS")]
    [InlineData("mongodb://127.0.0.1:1/booksdb?appName=x&TIMEOUTMS=0", "timeoutMS")]
    [InlineData("mongodb://127.0.0.1:1/booksdb?readPreference=secondary", "readPreference=Secondary")]
    [InlineData("mongodb://127.0.0.1:1/booksdb?readPreference=secondaryPreferred", "readPreference=SecondaryPreferred")]
    [InlineData("mongodb://127.0.0.1:1/booksdb?readPreference=nearest", "readPreference=Nearest")]
    public void Unsupported_connection_option_stops_startup(string connectionString, string named)
    {
        var error = StartWith(connectionString);

        Assert.Contains($"'ConnectionStrings:booksdb' sets {named}", error.Message);
    }
}

/// <summary>Books.Api refuses to start when it could not validate a single bearer token, naming the setting to fix.</summary>
public sealed class BooksApiTokenSettingsTests
{
    private const string Authority = "Authentication:Schemes:Bearer:Authority";
    private const string Audience = "Authentication:Schemes:Bearer:ValidAudiences:0";

    private static Exception StartWith(IReadOnlyDictionary<string, string> settings) => FailedStart.Of(() => Factory(settings));

    private static void Starts(IReadOnlyDictionary<string, string> settings)
    {
        using var factory = Factory(settings);
        factory.CreateClient().Dispose();
    }

    private static WebApplicationFactory<Books.Api.BooksApiAssembly> Factory(IReadOnlyDictionary<string, string> settings) =>
        new WebApplicationFactory<Books.Api.BooksApiAssembly>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:booksdb", "mongodb://127.0.0.1:1/booksdb");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });

    private static Dictionary<string, string> Provider(string authority = "https://login.example.test/") =>
        new() { [Authority] = authority, [Audience] = "api://books" };

    [Fact]
    public void No_authority_stops_startup()
    {
        var error = StartWith(new Dictionary<string, string>());

        Assert.Contains("set 'Authentication:Schemes:Bearer:Authority' to your OpenID Connect provider", error.Message);
        Assert.Contains("'Authentication:Schemes:Bearer:ValidAudiences:0'", error.Message);
    }

    [Fact]
    public void Authority_without_audience_stops_startup()
    {
        var error = StartWith(new Dictionary<string, string> { [Authority] = "https://login.example.test/" });

        Assert.Equal(
            "'Authentication:Schemes:Bearer:Authority' is set, but not 'Authentication:Schemes:Bearer:ValidAudiences': name the audience your " +
            "identity provider issues books-api's tokens for (for example Authentication:Schemes:Bearer:ValidAudiences:0=api://books), " +
            "or no token will be accepted.",
            error.Message);
    }

    /// <summary>RFC 8414 2 and OpenID Connect Discovery 4: metadata and keys come over TLS; plain HTTP only where no network is crossed.</summary>
    [Theory]
    [InlineData("http://login.example.test/")]
    [InlineData("http://192.0.2.10:8080/")]
    [InlineData("http://localhost.example.test/")]
    public void A_plain_http_authority_off_this_machine_stops_startup(string authority)
    {
        var error = StartWith(Provider(authority));

        Assert.Equal(
            $"'Authentication:Schemes:Bearer:Authority' is {authority}: plain HTTP is accepted only for a provider on this machine " +
            "(localhost or a loopback address). Use the provider's https:// address.",
            error.Message);
    }

    [Theory]
    [InlineData("login.example.test")]
    [InlineData("ftp://login.example.test/")]
    public void An_authority_that_is_not_an_http_url_stops_startup(string authority) =>
        Assert.Equal(
            $"'Authentication:Schemes:Bearer:Authority' must be an absolute https:// URL (the provider's issuer), not '{authority}'.",
            StartWith(Provider(authority)).Message);

    [Theory]
    [InlineData("https://login.example.test/")]
    [InlineData("http://localhost:5181/")]
    [InlineData("http://127.0.0.1:1/")]
    [InlineData("http://127.0.0.2:1/")]
    [InlineData("http://[::1]:1/")]
    public void Https_or_loopback_authority_starts(string authority) => Starts(Provider(authority));

    [Fact]
    public void A_negative_clock_skew_stops_startup() =>
        Assert.Contains("'Books:Auth:ClockSkew' (-00:00:01 given) must not be negative.",
            StartWith(new Dictionary<string, string>(Provider()) { ["Books:Auth:ClockSkew"] = "-00:00:01" }).Message);

    [Theory]
    [InlineData("0", "10", "'Books:RateLimit:WritesPerWindow' (0 given) must be between 1 and 1000")]
    [InlineData("1001", "10", "'Books:RateLimit:WritesPerWindow' (1001 given) must be between 1 and 1000")]
    [InlineData("100", "0", "'Books:RateLimit:WindowSeconds' (0 given) must be at least 1.")]
    public void Rate_limit_out_of_range_stops_startup(string writes, string seconds, string expected)
    {
        var error = StartWith(new Dictionary<string, string>(Provider())
        {
            ["Books:RateLimit:WritesPerWindow"] = writes,
            ["Books:RateLimit:WindowSeconds"] = seconds,
        });

        Assert.StartsWith(expected, error.Message);
    }

    [Theory]
    [InlineData("Books:RateLimit:ReadsPerWindow", "0")]
    [InlineData("Books:Queries:TimeLimitMilliseconds", "0")]
    [InlineData("Books:Queries:MaxConcurrentListings", "-1")]
    [InlineData("Books:Queries:ListingQueueMilliseconds", "0")]
    public void A_limit_below_one_stops_startup_naming_its_key(string key, string value) =>
        Assert.Equal($"'{key}' ({value} given) must be at least 1.", StartWith(new Dictionary<string, string>(Provider()) { [key] = value }).Message);

    [Fact]
    public void A_limit_that_is_not_a_number_stops_startup_naming_its_key() =>
        Assert.Contains("'Books:Queries:TimeLimitMilliseconds'",
            StartWith(new Dictionary<string, string>(Provider()) { ["Books:Queries:TimeLimitMilliseconds"] = "two seconds" }).Message);

    // MongoDB manual, createIndexes: commitQuorum is "votingMembers", "majority", a number, or a replica-set tag name.
    [Theory]
    [InlineData("majority ")]
    [InlineData("-1")]
    [InlineData("all members")]
    public void Malformed_commit_quorum_stops_startup(string value) =>
        Assert.Equal($"'Books:Indexes:CommitQuorum' ({value} given) must be majority, votingMembers, a number of members, or a replica-set tag name.",
            StartWith(new Dictionary<string, string>(Provider()) { ["Books:Indexes:CommitQuorum"] = value }).Message);

    [Fact]
    public void A_rate_limit_of_one_write_per_second_starts() =>
        Starts(new Dictionary<string, string>(Provider())
        {
            ["Books:RateLimit:WritesPerWindow"] = "1",
            ["Books:RateLimit:WindowSeconds"] = "1",
        });

    // OWASP API8:2023: a shared secret that opens writes wherever it leaks never sits beside the identity provider.
    [Fact]
    public void A_configured_signing_key_beside_the_provider_stops_startup()
    {
        var error = StartWith(new Dictionary<string, string>(Provider())
        {
            ["Authentication:Schemes:Bearer:SigningKeys:0:Issuer"] = "dotnet-user-jwts",
            ["Authentication:Schemes:Bearer:SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]),
        });

        Assert.Contains("'Authentication:Schemes:Bearer:SigningKeys' is set", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*")]
    [InlineData("books.example.com;*")]
    public void Outside_development_allowed_hosts_must_name_hosts(string? allowedHosts)
    {
        var settings = new Dictionary<string, string>(Provider());
        if (allowedHosts is not null)
        {
            settings["AllowedHosts"] = allowedHosts;
        }

        var error = FailedStart.Of(() => Factory(settings).WithWebHostBuilder(web => web.UseEnvironment("Production")));

        Assert.Contains("Outside Development books-api answers only for the host names in 'AllowedHosts'", error.Message);
    }

    [Fact]
    public void In_development_no_allowed_hosts_are_needed() => Starts(new Dictionary<string, string>(Provider()));
}
