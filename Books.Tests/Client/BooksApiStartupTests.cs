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
