namespace Books.Api;

/// <summary>
/// Stands for books-api's assembly where a type must name it, as <c>WebApplicationFactory&lt;T&gt;</c> does to find
/// the entry point (<c>Program</c> is ambiguous beside the AppHost's and the identity provider's).
/// </summary>
public sealed class BooksApiAssembly
{
    private BooksApiAssembly()
    {
    }
}
