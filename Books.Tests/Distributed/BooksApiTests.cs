using Books.Tests.Api;

namespace Books.Tests.Distributed;

/// <summary>The endpoint tests of <see cref="BooksApiTestCases"/> against books-api started by the real AppHost.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class BooksApiTests(BooksAppFixture fixture) : BooksApiTestCases
{
    protected override HttpClient CreateApiClient() => fixture.CreateApiClient();
}
