// Placeholder until the Hangfire server host lands.
Console.WriteLine("Shears worker");
