using Microsoft.AspNetCore.Mvc.Testing;

namespace Books.Tests.Client;

/// <summary>Books.Api as a whole refuses to start on bad MongoDB configuration, before serving anything.</summary>
public sealed class BooksApiStartupTests
{
    private static Exception StartWith(string? connectionString)
    {
        // Any public type of Books.Api names its entry assembly; `Program` is ambiguous beside the AppHost's.
        using var factory = new WebApplicationFactory<Books.Api.Books.Book>().WithWebHostBuilder(web =>
            web.UseSetting("ConnectionStrings:booksdb", connectionString));
        return Assert.ThrowsAny<Exception>(() => factory.CreateClient());
    }

    [Theory]
    [InlineData("")]
    [InlineData("mongodb://localhost:27017")]
    [InlineData("localhost:27017/booksdb")]
    public void Api_does_not_start_and_names_the_key(string connectionString)
    {
        var error = StartWith(connectionString);

        Assert.Contains("ConnectionStrings:booksdb", error.Message);
    }

    [Fact]
    public void A_connection_string_without_a_database_says_where_the_database_goes()
    {
        var error = StartWith("mongodb://localhost:27017");

        Assert.Contains("e.g. mongodb://host:27017/booksdb", error.Message);
        Assert.Contains("reference the database resource (AddDatabase), not the server.", error.Message);
    }
}

/// <summary>Books.Api refuses to start when it could not validate a single bearer token, naming the setting to fix.</summary>
public sealed class BooksApiTokenSettingsTests
{
    private static Exception StartWith(IReadOnlyDictionary<string, string> settings)
    {
        using var factory = Factory(settings);
        return Assert.ThrowsAny<Exception>(() => factory.CreateClient());
    }

    private static void Starts(IReadOnlyDictionary<string, string> settings)
    {
        using var factory = Factory(settings);
        factory.CreateClient().Dispose();
    }

    private static WebApplicationFactory<Books.Api.Books.Book> Factory(IReadOnlyDictionary<string, string> settings) =>
        new WebApplicationFactory<Books.Api.Books.Book>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:booksdb", "mongodb://127.0.0.1:1/booksdb");
            web.UseSetting("Books:Auth:SigningKey", "");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });

    [Fact]
    public void Neither_an_authority_nor_a_signing_key_stops_startup_naming_both()
    {
        var error = StartWith(new Dictionary<string, string>());

        Assert.Contains("Authentication:Schemes:Bearer:Authority", error.Message);
        Assert.Contains("Books:Auth:SigningKey", error.Message);
    }

    [Fact]
    public void A_signing_key_shorter_than_32_characters_stops_startup()
    {
        var error = StartWith(new Dictionary<string, string> { ["Books:Auth:SigningKey"] = new('k', 31) });

        Assert.Contains("'Books:Auth:SigningKey' must be at least 32 characters", error.Message);
    }

    [Fact]
    public void An_authority_without_an_audience_stops_startup_naming_the_audience_setting()
    {
        var error = StartWith(new Dictionary<string, string> { ["Authentication:Schemes:Bearer:Authority"] = "https://login.example.test/" });

        Assert.Equal(
            "'Authentication:Schemes:Bearer:Authority' is set, but not 'Authentication:Schemes:Bearer:ValidAudiences': name the audience your " +
            "identity provider issues books-api's tokens for (for example Authentication:Schemes:Bearer:ValidAudiences:0=api://books), " +
            "or no token will be accepted.",
            error.Message);
    }

    [Fact]
    public void A_signing_key_of_exactly_32_characters_or_an_authority_with_an_audience_and_no_key_starts()
    {
        Starts(new Dictionary<string, string> { ["Books:Auth:SigningKey"] = new('k', 32) });
        Starts(new Dictionary<string, string>
        {
            ["Authentication:Schemes:Bearer:Authority"] = "https://login.example.test/",
            ["Authentication:Schemes:Bearer:ValidAudiences:0"] = "api://books",
        });
    }

    [Theory]
    [InlineData("0", "10")]
    [InlineData("100", "0")]
    public void A_rate_limit_below_one_write_or_one_second_stops_startup(string writes, string seconds)
    {
        var error = StartWith(new Dictionary<string, string>
        {
            ["Books:Auth:SigningKey"] = new('k', 32),
            ["Books:RateLimit:WritesPerWindow"] = writes,
            ["Books:RateLimit:WindowSeconds"] = seconds,
        });

        Assert.Equal($"'Books:RateLimit:WritesPerWindow' must be at least 1 and 'Books:RateLimit:WindowSeconds' at least 1 ({writes} and {seconds} given).", error.Message);
    }

    [Fact]
    public void A_rate_limit_of_one_write_per_second_starts() =>
        Starts(new Dictionary<string, string>
        {
            ["Books:Auth:SigningKey"] = new('k', 32),
            ["Books:RateLimit:WritesPerWindow"] = "1",
            ["Books:RateLimit:WindowSeconds"] = "1",
        });
}
