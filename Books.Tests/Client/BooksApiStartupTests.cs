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
}

/// <summary>Books.Api refuses to start when it could not validate a single bearer token, naming the setting to fix.</summary>
public sealed class BooksApiTokenSettingsTests
{
    private static Exception StartWith(IReadOnlyDictionary<string, string> settings)
    {
        using var factory = new WebApplicationFactory<Books.Api.Books.Book>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:booksdb", "mongodb://127.0.0.1:1/booksdb");
            web.UseSetting("Books:Auth:SigningKey", "");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        return Assert.ThrowsAny<Exception>(() => factory.CreateClient());
    }

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

        Assert.Contains("Authentication:Schemes:Bearer:ValidAudiences", error.Message);
    }
}
