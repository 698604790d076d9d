using MongoDB.Driver;

namespace Books.Api.Books;

public static class BooksServiceCollectionExtensions
{
    public const string CollectionName = "books";

    /// <summary>
    /// Registers the books collection on top of the process-wide <see cref="IMongoDatabase"/>
    /// (itself from <c>AddMongoDBClient</c>): handlers take the typed collection, no wrapper.
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="IMongoDatabase"/> is registered: the connection
    /// string names no database.</exception>
    public static IHostApplicationBuilder AddBooks(this IHostApplicationBuilder builder, string connectionName = "booksdb")
    {
        if (!builder.Services.Any(service => service.ServiceType == typeof(IMongoDatabase) && !service.IsKeyedService))
        {
            throw new InvalidOperationException(
                $"The books API needs a database, but the connection string 'ConnectionStrings:{connectionName}' names none. " +
                $"Put the database in its path, e.g. mongodb://host:27017/{connectionName}; under the AppHost, reference the " +
                "database resource (AddDatabase), not the server.");
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services =>
            services.GetRequiredService<IMongoDatabase>().GetCollection<Book>(CollectionName));
        return builder;
    }
}
