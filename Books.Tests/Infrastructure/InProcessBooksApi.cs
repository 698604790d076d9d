namespace Books.Tests.Infrastructure;

/// <summary>One books-api in process, on Kestrel, for all the tests of a class (a class fixture), on a database of its own.</summary>
public sealed class InProcessBooksApi : IAsyncDisposable
{
    private readonly Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Books.Api.BooksApiAssembly> _host;

    public InProcessBooksApi(MongodStandInFixture mongod)
    {
        _host = BooksApiHost.Create(mongod.NewDatabase());
        _host.StartOnKestrel(); // real HTTP, as through the AppHost: Kestrel enforces the body limit
    }

    public HttpClient CreateWriterClient() => _host.CreateWriterClient();

    public HttpClient CreateAdminClient() => _host.CreateAdminClient();

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
