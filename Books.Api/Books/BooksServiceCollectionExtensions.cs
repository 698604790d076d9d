using MongoDB.Driver;

namespace Books.Api.Books;

public static class BooksServiceCollectionExtensions
{
    public const string CollectionName = "books";

    /// <summary>
    /// Registers the books collection on top of the process-wide <see cref="IMongoDatabase"/>
    /// (itself from <c>AddMongoDBClient</c>): handlers take the typed collection, no wrapper.
    /// </summary>
    public static IHostApplicationBuilder AddBooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services =>
            services.GetRequiredService<IMongoDatabase>().GetCollection<Book>(CollectionName));
        return builder;
    }
}
