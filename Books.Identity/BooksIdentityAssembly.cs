namespace Books.Identity;

/// <summary>
/// Stands for books-identity's assembly where a type must name it, as <c>WebApplicationFactory&lt;T&gt;</c> does to
/// find the entry point (<c>Program</c> is ambiguous beside the AppHost's and books-api's).
/// </summary>
public sealed class BooksIdentityAssembly
{
    private BooksIdentityAssembly()
    {
    }
}
