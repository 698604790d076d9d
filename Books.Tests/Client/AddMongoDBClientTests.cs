using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace Books.Tests.Client;

/// <summary>The client integration's registration and fail-fast behaviour, in a bare host.</summary>
public sealed class AddMongoDBClientTests
{
    private static HostApplicationBuilder CreateBuilder(params (string Key, string? Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)));
        return builder;
    }

    [Fact]
    public void Missing_connection_string_fails_naming_the_configuration_keys()
    {
        var builder = CreateBuilder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.Contains("ConnectionStrings:booksdb", error.Message);
        Assert.Contains("ConnectionStrings__booksdb", error.Message);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("http://localhost:27017/booksdb")]
    [InlineData("mongodb://localhost:notaport/booksdb")]
    public void Malformed_connection_string_fails_naming_the_key(string connectionString)
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", connectionString));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.Contains("'ConnectionStrings:booksdb' is not a valid MongoDB URL", error.Message);
    }

    [Fact]
    public void Malformed_connection_string_error_does_not_reveal_the_password()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://admin:s3cr3t-Pa55@localhost:notaport/booksdb"));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoDBClient("booksdb"));

        Assert.DoesNotContain("s3cr3t-Pa55", error.ToString());
        Assert.Contains("admin:***@", error.Message);
    }

    [Fact]
    public void Registers_one_client_and_the_named_database()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var client = host.Services.GetRequiredService<IMongoClient>();
        Assert.Same(client, host.Services.GetRequiredService<IMongoClient>());
        var database = host.Services.GetRequiredService<IMongoDatabase>();
        Assert.Equal("booksdb", database.DatabaseNamespace.DatabaseName);
        Assert.Same(client, database.Client);
    }

    [Fact]
    public void Connection_string_wins_over_settings_section_and_delegate_runs_last()
    {
        var builder = CreateBuilder(
            ("Aspire:MongoDB:Driver:ConnectionString", "mongodb://section-host/sectiondb"),
            ("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        string? seen = null;

        builder.AddMongoDBClient("booksdb", settings => seen = settings.ConnectionString);

        Assert.Equal("mongodb://localhost:27017/booksdb", seen);
    }

    [Fact]
    public void Client_query_text_stays_out_of_traces()
    {
        var builder = CreateBuilder(("ConnectionStrings:booksdb", "mongodb://localhost:27017/booksdb"));
        builder.AddMongoDBClient("booksdb");

        using var host = builder.Build();

        var settings = host.Services.GetRequiredService<IMongoClient>().Settings;
        Assert.False(settings.TracingOptions.Disabled);
        Assert.Equal(0, settings.TracingOptions.QueryTextMaxLength);
    }
}
