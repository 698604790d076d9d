using Books.Settings;
using Microsoft.Extensions.Configuration;

namespace Books.AppHost;

/// <summary>Where books-api's database comes from, in each mode.</summary>
public static class BooksDatabase
{
    /// <summary>Publish mode only: <c>true</c> publishes the development MongoDB container, for a disposable environment.</summary>
    public const string PublishContainerKey = "BooksApi:PublishMongoContainer";

    /// <summary>
    /// Run mode: a MongoDB of the AppHost's own (a <c>mongo:8.2</c> container with a data volume, or a local
    /// <c>mongod</c>), and its <c>booksdb</c> database. Publish mode: the connection string as a parameter the deployer
    /// supplies, so a deployment points books-api at its managed replica set (Aspire's guidance for a database it does
    /// not run), unless <see cref="PublishContainerKey"/> asks for the development container.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> Add(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode && !builder.Configuration.GetValue(PublishContainerKey, false))
        {
            var connection = builder.AddConnectionString(BooksApiSettings.DatabaseConnectionName);
            foreach (var parameter in builder.Resources.OfType<ParameterResource>().Where(p => p.Name == BooksApiSettings.DatabaseConnectionName))
            {
                parameter.Description = "The MongoDB connection string of books-api's database, its path naming the database "
                    + "(mongodb+srv://books-api:<password>@cluster0.example.mongodb.net/booksdb?w=majority). See DEPLOYMENT.md, The connection string.";
            }

            return connection;
        }

        return builder.AddMongoDB("mongo").WithDataVolume().AddDatabase(BooksApiSettings.DatabaseConnectionName);
    }
}
